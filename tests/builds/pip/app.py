import six

print("hello from", six.__name__)
