/// Preconditioned conjugate gradients for a symmetric positive definite system A x = b
/// (Hestenes and Stiefel 1952; the preconditioned form of Saad, "Iterative Methods for Sparse Linear
/// Systems", algorithm 9.1).
///
/// Vectors are single precision; inner products are accumulated in double. The operator and the
/// preconditioner are closures writing their result into the second buffer; the preconditioner
/// must be symmetric positive definite and fixed (the same linear map at every call).
struct ConjugateGradient: Sendable {
    /// Stop once ||b - A x|| <= relativeTolerance * ||b||.
    var relativeTolerance: Double
    var maximumIterations: Int

    typealias LinearMap = (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void

    struct Outcome: Sendable, Equatable {
        var iterations: Int
        /// ||b - A x|| / ||b|| at the end (the recurrence's residual).
        var relativeResidual: Double
        var converged: Bool
    }

    /// Solves A x = b starting from `x` (its incoming value is the initial guess).
    @discardableResult
    func solve(_ b: [Float], x: inout [Float], operator apply: LinearMap,
               preconditioner: LinearMap?) -> Outcome {
        let count = b.count
        precondition(x.count == count, "initial guess of \(x.count) for a system of \(count)")
        let normB = Self.dot(b, b).squareRoot()
        guard normB > 0 else {
            // The solution of A x = 0 is 0.
            x = [Float](repeating: 0, count: count)
            return Outcome(iterations: 0, relativeResidual: 0, converged: true)
        }
        var residual = [Float](repeating: 0, count: count)
        var product = residual
        Self.map(apply, x, into: &product)
        for index in 0..<count { residual[index] = b[index] - product[index] }
        var normR = Self.dot(residual, residual).squareRoot()
        if normR <= relativeTolerance * normB {
            return Outcome(iterations: 0, relativeResidual: normR / normB, converged: true)
        }
        var preconditioned = residual
        if let preconditioner { Self.map(preconditioner, residual, into: &preconditioned) }
        var direction = preconditioned
        var rho = Self.dot(residual, preconditioned)
        for iteration in 1...max(maximumIterations, 1) {
            Self.map(apply, direction, into: &product)
            let curvature = Self.dot(direction, product)
            guard curvature > 0, rho.isFinite else {
                // Breakdown (not positive definite in floating point): keep the current iterate.
                return Outcome(iterations: iteration - 1, relativeResidual: normR / normB, converged: false)
            }
            let step = Float(rho / curvature)
            x.withUnsafeMutableBufferPointer { x in
                residual.withUnsafeMutableBufferPointer { residual in
                    for index in 0..<count {
                        x[index] += step * direction[index]
                        residual[index] -= step * product[index]
                    }
                }
            }
            normR = Self.dot(residual, residual).squareRoot()
            if normR <= relativeTolerance * normB || iteration == maximumIterations {
                return Outcome(iterations: iteration, relativeResidual: normR / normB,
                               converged: normR <= relativeTolerance * normB)
            }
            if let preconditioner {
                Self.map(preconditioner, residual, into: &preconditioned)
            } else {
                preconditioned = residual
            }
            let nextRho = Self.dot(residual, preconditioned)
            let beta = Float(nextRho / rho)
            rho = nextRho
            direction.withUnsafeMutableBufferPointer { direction in
                for index in 0..<count { direction[index] = preconditioned[index] + beta * direction[index] }
            }
        }
        return Outcome(iterations: maximumIterations, relativeResidual: normR / normB, converged: false)
    }

    @inline(__always)
    private static func map(_ function: LinearMap, _ input: [Float], into output: inout [Float]) {
        input.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in function(input, output) }
        }
    }

    /// Inner product accumulated in double precision, eight lanes at a time.
    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        let count = a.count
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                guard let a = a.baseAddress, let b = b.baseAddress else { return 0 }
                var lanes = SIMD8<Double>()
                var index = 0
                while index + 8 <= count {
                    let left = SIMD8<Double>(UnsafeRawPointer(a + index).loadUnaligned(as: SIMD8<Float>.self))
                    let right = SIMD8<Double>(UnsafeRawPointer(b + index).loadUnaligned(as: SIMD8<Float>.self))
                    lanes.addProduct(left, right)
                    index += 8
                }
                var sum = lanes.sum()
                while index < count {
                    sum += Double(a[index]) * Double(b[index])
                    index += 1
                }
                return sum
            }
        }
    }
}
