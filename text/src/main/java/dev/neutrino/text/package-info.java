/**
 * Server-side tokenization: a {@link dev.neutrino.text.Tokenizer} read from a Hugging Face
 * {@code tokenizer.json} ({@link dev.neutrino.text.HuggingFaceTokenizers}), and
 * {@link dev.neutrino.text.TokenRows}, which lays token rows out as a model's input tensors.
 */
package dev.neutrino.text;
