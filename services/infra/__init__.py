"""Infrastructure: settings, database, start-up, clock, errors, text hygiene. No business rule lives here."""
