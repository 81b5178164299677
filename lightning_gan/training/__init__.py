"""Training machinery shared by the models: losses, DiffAugment, the perceptual loss, run summaries and progress."""
