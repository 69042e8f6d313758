project = 'Layout Sphinx docs'
