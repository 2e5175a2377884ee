from tests.tool_fixtures import served  # noqa: F401 -- the throttled local HTTP server of the live tool tests
