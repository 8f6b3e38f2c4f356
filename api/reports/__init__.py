"""Pages and charts rendered on the server: the customer report and its SVG charts."""
