"""Brian2 string equations of the package's neuron and synapse models.

Installed as ``hopfield_brian.equations``. Each module holds the model's
equations (one commented line per equation), its parameters as a frozen
dataclass of Quantities, and the source it follows.
"""
