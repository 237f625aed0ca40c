package dev.neutrino.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Several backends behind one: a model goes to the backend its configuration's {@code platform} or
 * {@code backend} names, and to the first one when it names neither or names one that is not here
 * (which then refuses it by name when the configuration is completed). Thread-safe as its members.
 */
public final class Backends implements Backend {
  private final List<Backend> members;

  private Backends(List<Backend> members) {
    this.members = List.copyOf(members);
  }

  /** {@code first} is the default; the others are chosen by platform or backend name. */
  public static Backend of(Backend first, Backend... others) {
    Objects.requireNonNull(first, "first");
    if (others.length == 0) {
      return first;
    }
    List<Backend> all = new ArrayList<>();
    all.add(first);
    all.addAll(List.of(others));
    return new Backends(all);
  }

  @Override
  public Backend forModel(String platform, String backend) {
    for (Backend member : members) {
      if ((platform != null && platform.equals(member.platform()))
          || (platform == null && backend != null && backend.equals(member.name()))) {
        return member;
      }
    }
    return members.get(0);
  }

  @Override
  public String name() {
    return members.get(0).name();
  }

  @Override
  public String platform() {
    return members.get(0).platform();
  }

  @Override
  public String defaultModelFileName() {
    return members.get(0).defaultModelFileName();
  }

  @Override
  public LoadedModel load(Path modelFile, LoadOptions options) throws ModelLoadException {
    return members.get(0).load(modelFile, options);
  }

  @Override
  public String toString() {
    return "Backends" + members;
  }
}
