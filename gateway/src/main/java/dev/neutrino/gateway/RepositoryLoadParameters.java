package dev.neutrino.gateway;

import dev.neutrino.runtime.InferenceException;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;

/** The parameters of a repository load request, read the same way over HTTP and gRPC. */
public final class RepositoryLoadParameters {
  private RepositoryLoadParameters() {}

  /**
   * The model configuration the request overrides, or null when it names none.
   *
   * @param parameters the request's parameters by name
   * @param text a parameter's string value, or null when it is not a string
   * @throws InferenceException.InvalidInput when {@code config} is not a string, or a {@code file:}
   *     parameter is given
   */
  public static <V> String configOverride(Iterator<Map.Entry<String, V>> parameters, Function<V, String> text) {
    String config = null;
    while (parameters.hasNext()) {
      Map.Entry<String, V> parameter = parameters.next();
      if (parameter.getKey().equals("config")) {
        config = text.apply(parameter.getValue());
        if (config == null) {
          throw new InferenceException.InvalidInput("parameter 'config' must be a string holding JSON");
        }
      } else if (parameter.getKey().startsWith("file:")) {
        throw new InferenceException.InvalidInput("file parameters of the load request are not supported");
      }
      // Other parameters (unload_dependents, ...) have no effect here: there are no ensembles.
    }
    return config;
  }
}
