"""The contact directory: rules (normalisation, identifiers, blocks), the search tokenizer, request and
response models, and the operations (create, edit, merge, block, link, history, GDPR)."""
