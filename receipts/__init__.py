"""Documents the till prints (receipts, reports) laid out for a paper width, rendered to
text now and to ESC/POS bytes and PNG by the printer layer."""
