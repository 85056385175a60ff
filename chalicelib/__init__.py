"""The cloud side of wacast: configuration, models, services and the HTTP/WS/SQS glue."""
