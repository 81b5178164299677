"""One LightningModule per GAN variant, each on `AdversarialModule`. Import a variant from its own module."""
