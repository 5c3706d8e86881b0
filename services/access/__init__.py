"""Who the user is and what they may do: accounts, login tokens, permissions from config/roles.yaml."""
