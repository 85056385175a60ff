"""HTTP routes, one blueprint per area. Handlers parse, call a service, return a model."""
