"""Generated documentation: the API map (topics as data, introspection of the installed libraries, rendering), the
porting guide's generated regions, links into the code and tests, and ``jcrnet where``."""
