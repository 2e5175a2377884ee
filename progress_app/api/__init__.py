"""The HTTP API (REST, SSE, WebSocket) on the same server as the UI. Routes call JobService only."""
