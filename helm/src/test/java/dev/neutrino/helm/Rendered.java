package dev.neutrino.helm;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import java.util.Optional;

/** One rendering of the chart: its text and its objects. */
record Rendered(String valueSet, String text, List<HasMetadata> objects) {

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
    return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
  }

  <T extends HasMetadata> T get(Class<T> type, String name) {
    return find(type, name).orElseThrow(() -> new AssertionError(
        valueSet + ": no " + type.getSimpleName() + " " + name + " among " + names()));
  }

  /** A rendered object of a kind fabric8 has no type for (ServiceMonitor, PrometheusRule, ScaledObject). */
  Optional<GenericKubernetesResource> generic(String kind) {
    return all(GenericKubernetesResource.class).stream().filter(o -> o.getKind().equals(kind)).findFirst();
  }

  Deployment gatewayDeployment() {
    return get(Deployment.class, Chart.FULLNAME);
  }

  Container gatewayContainer() {
    return gatewayDeployment().getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> c.getName().equals("gateway")).findFirst().orElseThrow();
  }

  ConfigMap configMap(String name) {
    return get(ConfigMap.class, name);
  }

  List<String> names() {
    return objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList();
  }
}
