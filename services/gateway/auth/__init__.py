"""Who is calling: accounts (sign-up, log-in, sessions, API keys) and the request's caller (CSRF)."""
