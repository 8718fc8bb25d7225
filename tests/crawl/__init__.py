"""Component tests of the Scrapy layer: middlewares, the archive extension and the spider's
callbacks, each built from a crawler over the project settings and fed saved responses."""
