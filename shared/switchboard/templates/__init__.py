"""Message templates: what Meta approved, kept in sync, and turned into sends.

models.py     a stored template read into its parts, and the parameters each part needs
sync.py       pulling every template of a WhatsApp business account and replacing the stored set
rendering.py  checking a send's parameters against the template; the Graph ``template`` object and
              the text the customer sees
"""
