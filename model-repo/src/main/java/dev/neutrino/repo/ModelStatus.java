package dev.neutrino.repo;

/**
 * One row of the repository index.
 *
 * @param version the version number as a string, or empty when no version could be found
 * @param reason why the version is not ready; empty when it is
 */
public record ModelStatus(String name, String version, ModelState state, String reason) {}
