package dev.neutrino.loadtest.profile;

import java.util.Objects;

/**
 * One frame of a sampled stack.
 *
 * @param type the declaring class's binary name, for example {@code io.netty.channel.nio.NioEventLoop}
 * @param method the method's name
 */
public record Frame(String type, String method) {
  public Frame {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(method, "method");
  }

  /** A frame from its written form {@code package.Class.method}: the last dot splits class from method. */
  public static Frame parse(String qualified) {
    int dot = qualified.lastIndexOf('.');
    if (dot <= 0 || dot == qualified.length() - 1) {
      throw new IllegalArgumentException("a frame is package.Class.method, got '" + qualified + "'");
    }
    return new Frame(qualified.substring(0, dot), qualified.substring(dot + 1));
  }

  /** {@code type.method}, the frame's name in collapsed stacks and flame graphs. */
  @Override
  public String toString() {
    return type + "." + method;
  }
}
