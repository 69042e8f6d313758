project = 'Layout Sphinx'
