"""One blueprint per concern: pages, run history, result files, the JSON API, the event stream,
the plugin's ingest and the health check."""
