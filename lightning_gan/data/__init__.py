"""Product images: discovery and decoding (images), the DataModule, device-side augmentation and degradations."""
