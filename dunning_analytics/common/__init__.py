"""The layer every other uses: words and numbers in the user's language (formatting,
messages, vocabulary), the kit's settings files and the errors it explains.
"""
