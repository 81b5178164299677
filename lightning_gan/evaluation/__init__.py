"""Evaluation: image-quality metrics, restoration scores, and the domain classifier that scores generated products."""
