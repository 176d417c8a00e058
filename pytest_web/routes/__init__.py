"""One blueprint per concern: pages, the JSON API, the event stream, the plugin's ingest."""
