/// Slow, obvious implementations of the CPU kernels, written straight from each operator's definition:
/// plain loops over every index, scalar arithmetic, one thread. Each fast kernel is tested against its twin here.
public enum ReferenceKernels {}
