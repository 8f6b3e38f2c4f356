"""What requests and answers look like: request checks and the OpenAPI document."""
