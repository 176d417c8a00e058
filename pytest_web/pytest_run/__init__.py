"""pytest in a subprocess: the command and environment (`process`), what a request may select
(`selection`), collecting (`discovery`) and running with live events (`runner`)."""
