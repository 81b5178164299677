"""Generators and discriminators, plain nn.Modules with no training logic."""
