package dev.neutrino.autoscaler;

/** Which way a decision moves a target's replica count. */
public enum Direction {
  UP,
  DOWN,
  HOLD;

  public static Direction of(int current, int desired) {
    return desired > current ? UP : desired < current ? DOWN : HOLD;
  }

  /** The label value used in metrics and logs. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
