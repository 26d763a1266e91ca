"""Adding accounts: the add window, QR codes from the screen, images, camera and clipboard, and the
manual form.
"""
