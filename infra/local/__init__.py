"""The local runtime: moto's server in-process as the AWS, every resource and trigger from the
declaration, the API on a real HTTP server, and a Graph API simulator standing in for Meta."""
