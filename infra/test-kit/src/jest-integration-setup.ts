// Per-file setup for integration tests: real infrastructure needs more than jest's 5 s default.
jest.setTimeout(120000);
