"""One module per paper form of the seed; each defines ``TEMPLATE``."""
