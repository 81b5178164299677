"""Command modules (`lightning-gan <command>`): parse the options, call the libraries, print, return an exit code.
Nothing imports them but the dispatcher (`lightning_gan.main`); older commands still live at the package's top level."""
