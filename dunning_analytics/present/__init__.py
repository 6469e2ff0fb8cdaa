"""What is shown: charts, tables for files (exports), the quarterly review, the HTML pages
from templates/ and printing them to PDF.
"""
