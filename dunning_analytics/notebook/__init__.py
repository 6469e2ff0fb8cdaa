"""The notebooks' explorers, panels and forms (ipywidgets), the start page, the notebooks'
prose and the kit's JupyterLab settings: thin, they call the layers below.
"""
