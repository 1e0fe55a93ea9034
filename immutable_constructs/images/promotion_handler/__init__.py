"""Promotion Lambda of GoldenImagePipeline: moves a tested, scanned image to the next channel."""
