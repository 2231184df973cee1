"""One package per service. A service never imports another one (the contract is in .importlinter)."""
