// Imported first by every TUI test: chalk (inside Ink) decides its colour level when it is
// first loaded, and a test's stdout is no terminal, so without this Ink would never emit
// colour and the NO_COLOR test could not fail.
process.env.FORCE_COLOR = "1";
