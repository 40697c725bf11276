"""E-mail notifications: templates, the SMTP sender and the outbox dispatcher."""
