"""What a person does, recorded through validated loads: calls and promises
(conversation), corrections, written confirmations, letters with their payment code, and
the sender's letterhead.
"""
