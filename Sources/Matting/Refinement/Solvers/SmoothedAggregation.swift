/// Smoothed aggregation multigrid for the matting Laplacian: Vaněk, Mandel and Brezina, "Algebraic
/// Multigrid by Smoothed Aggregation for Second and Fourth Order Elliptic Problems" (Computing 1996),
/// with the near-null space the matting Laplacian has by construction.
///
/// Every alpha that is an affine function of the colour, alpha = a . I + b, costs nothing in every
/// window, so the Laplacian nearly annihilates the constant and the three colour channels. Coarse
/// levels must represent these four functions or the cycle cannot correct errors that follow the
/// photo's edges (geometric multigrid's bilinear interpolation cannot, and needs hundreds of
/// iterations). So each aggregate of pixels gets up to four coarse unknowns: the tentative
/// interpolation restricted to an aggregate is an orthonormal basis of {1, R, G, B} on it (QR,
/// dropping dependent columns: a flat patch keeps only the constant), and the coarse near-null
/// space is the QR's R factor. The interpolation is then smoothed by one damped Jacobi step,
/// P = (I - 4/3 D^-1 A / rho(D^-1 A)) T, and the coarse operator is P^T A P.
///
/// Aggregates are geometric: 7x7 blocks of pixels on the first level, 3x3 blocks of aggregates on
/// the next ones. (5x5 blocks save a few iterations but double the first coarse level's cost.) The
/// smoother is of degree 1 (damped Jacobi): degree 2 saves a few percent of the iterations for 1.7
/// times their cost. On the alphamatting.com set a V-cycle then costs about three products with the
/// Laplacian, and conjugate gradients need 12 to 40 cycles for a relative residual of 1e-4.
enum SmoothedAggregation {
    /// The V-cycle for `matrix` (over the unknown pixels) with near-null space {1, R, G, B} from
    /// `colours` (one RGB per row of `matrix`, in [0, 1]).
    static func preconditioner(matrix: StencilMatrix, colours: [SIMD4<Float>], threads: Int = 1,
                               smoothingSteps: Int = 1, coarsestSize: Int = 400) -> MultigridPreconditioner {
        precondition(colours.count == matrix.count)
        typealias Level = MultigridPreconditioner.Level
        var levels = [Level(count: matrix.count, diagonal: matrix.diagonal,
                            multiply: MultigridPreconditioner.stencilProduct(matrix, threads: threads))]
        var levelOperator = SparseMatrix(matrix)
        // Nodes: pixels on the first level, aggregates later; each holds a run of unknowns.
        var positions: [(x: Int, y: Int)] = []
        positions.reserveCapacity(matrix.count)
        for run in matrix.runs { for t in 0..<run.count { positions.append((run.x + t, run.y)) } }
        var nodeStarts = Array(0...matrix.count)
        var nearNull: [Float] = colours.flatMap { [Float(1), $0.x, $0.y, $0.z] }
        var gridWidth = matrix.width, gridHeight = matrix.height

        while let level = levels.last, level.count > coarsestSize, levels.count < 12 {
            let blockSize = levels.count == 1 ? 7 : 3
            let aggregated = aggregate(positions: positions, nodeStarts: nodeStarts, nearNull: nearNull,
                                       gridWidth: gridWidth, gridHeight: gridHeight, blockSize: blockSize)
            let coarseCount = aggregated.nodeStarts.last ?? 0
            guard coarseCount > 0, coarseCount * 10 < level.count * 8 else { break }
            // Smoothed interpolation and Galerkin coarse operator.
            let tentative = aggregated.tentative
            let damping = Float(4.0 / 3.0) * 1.1 / level.upperEigenvalue
            let product = levelOperator.multiplied(by: tentative, threads: threads)
            let interpolation = smoothed(tentative, product: product, inverseDiagonal: level.inverseDiagonal,
                                         damping: damping)
            let restriction = interpolation.transposed()
            let coarseOperator = restriction.multiplied(by: levelOperator.multiplied(by: interpolation, threads: threads),
                                                        threads: threads)
            level.restrict = { restriction.multiply($0, into: $1, threads: threads) }
            level.addProlongation = { interpolation.multiply($0, into: $1, threads: threads, adding: true) }
            levels.append(Level(count: coarseCount, diagonal: coarseOperator.diagonal,
                                multiply: { coarseOperator.multiply($0, into: $1, threads: threads) }))
            levelOperator = coarseOperator
            positions = aggregated.positions
            nodeStarts = aggregated.nodeStarts
            nearNull = aggregated.nearNull
            gridWidth = gridWidth / blockSize + 1
            gridHeight = gridHeight / blockSize + 1
        }
        let last = levels[levels.count - 1]
        return MultigridPreconditioner(levels: levels,
                                       coarsestMatrix: last.count <= coarsestSize ? levelOperator.dense() : nil,
                                       smoothingSteps: smoothingSteps)
    }

    /// Aggregates of `blockSize` x `blockSize` nodes and their tentative interpolation.
    struct Aggregation {
        /// Fine unknowns x coarse unknowns, orthonormal columns.
        var tentative: SparseMatrix
        var positions: [(x: Int, y: Int)]
        var nodeStarts: [Int]
        /// Four values per coarse unknown.
        var nearNull: [Float]
    }

    static func aggregate(positions: [(x: Int, y: Int)], nodeStarts: [Int], nearNull: [Float],
                          gridWidth: Int, gridHeight: Int, blockSize: Int) -> Aggregation {
        let blocksWide = gridWidth / blockSize + 1, blocksHigh = gridHeight / blockSize + 1
        var aggregateOfBlock = [Int32](repeating: -1, count: blocksWide * blocksHigh)
        var aggregateOfNode = [Int](repeating: 0, count: positions.count)
        var aggregatePositions: [(x: Int, y: Int)] = []
        for (node, position) in positions.enumerated() {
            let block = (position.y / blockSize) * blocksWide + position.x / blockSize
            if aggregateOfBlock[block] < 0 {
                aggregateOfBlock[block] = Int32(aggregatePositions.count)
                aggregatePositions.append((position.x / blockSize, position.y / blockSize))
            }
            aggregateOfNode[node] = Int(aggregateOfBlock[block])
        }
        // Fine unknowns of each aggregate, by counting sort.
        let aggregateCount = aggregatePositions.count
        var memberStarts = [Int](repeating: 0, count: aggregateCount + 1)
        for node in positions.indices {
            memberStarts[aggregateOfNode[node] + 1] += nodeStarts[node + 1] - nodeStarts[node]
        }
        for index in 0..<aggregateCount { memberStarts[index + 1] += memberStarts[index] }
        var members = [Int](repeating: 0, count: memberStarts[aggregateCount])
        var next = memberStarts
        for node in positions.indices {
            for unknown in nodeStarts[node]..<nodeStarts[node + 1] {
                members[next[aggregateOfNode[node]]] = unknown
                next[aggregateOfNode[node]] += 1
            }
        }
        // QR of the near-null space on each aggregate (modified Gram-Schmidt, twice): the basis of
        // aggregate a becomes coarse unknowns coarseStarts[a] ..< coarseStarts[a + 1].
        let fineCount = nodeStarts.last ?? 0
        var coarseStarts = [Int](repeating: 0, count: aggregateCount + 1)
        var coarseNearNull: [Float] = []
        coarseNearNull.reserveCapacity(aggregateCount * 16)
        var basisOfFine = [Float](repeating: 0, count: fineCount * 4)  // up to four basis values per fine row
        let largest = (0..<aggregateCount).map { memberStarts[$0 + 1] - memberStarts[$0] }.max() ?? 0
        var vectors = [Double](repeating: 0, count: largest * 4)
        for aggregate in 0..<aggregateCount {
            let first = memberStarts[aggregate], size = memberStarts[aggregate + 1] - first
            var kept = 0
            var factor = [Double](repeating: 0, count: 16)  // R, row-major 4x4, rows < kept used
            for column in 0..<4 {
                // vectors[kept * size ..< (kept + 1) * size] holds the candidate.
                var originalNorm = 0.0
                for position in 0..<size {
                    let value = Double(nearNull[members[first + position] * 4 + column])
                    vectors[kept * size + position] = value
                    originalNorm += value * value
                }
                for _ in 0..<2 {
                    for previous in 0..<kept {
                        var projection = 0.0
                        for position in 0..<size { projection += vectors[previous * size + position] * vectors[kept * size + position] }
                        factor[previous * 4 + column] += projection
                        for position in 0..<size { vectors[kept * size + position] -= projection * vectors[previous * size + position] }
                    }
                }
                var norm = 0.0
                for position in 0..<size { norm += vectors[kept * size + position] * vectors[kept * size + position] }
                norm = norm.squareRoot()
                if norm > 1e-3 * originalNorm.squareRoot() && norm > 1e-12 {
                    for position in 0..<size { vectors[kept * size + position] /= norm }
                    factor[kept * 4 + column] = norm
                    kept += 1
                }
            }
            for index in 0..<kept {
                for position in 0..<size { basisOfFine[members[first + position] * 4 + index] = Float(vectors[index * size + position]) }
                for column in 0..<4 { coarseNearNull.append(Float(factor[index * 4 + column])) }
            }
            coarseStarts[aggregate + 1] = coarseStarts[aggregate] + kept
        }
        // Fine unknowns of a node share its aggregate; T's row holds that aggregate's basis values.
        var rowStarts = [Int](repeating: 0, count: fineCount + 1)
        var columns = [Int32](), values = [Float]()
        columns.reserveCapacity(fineCount * 4)
        values.reserveCapacity(fineCount * 4)
        for node in positions.indices {
            let aggregate = aggregateOfNode[node]
            let start = coarseStarts[aggregate], kept = coarseStarts[aggregate + 1] - start
            for fine in nodeStarts[node]..<nodeStarts[node + 1] {
                for index in 0..<kept {
                    columns.append(Int32(start + index))
                    values.append(basisOfFine[fine * 4 + index])
                }
                rowStarts[fine + 1] = columns.count
            }
        }
        let tentative = SparseMatrix(rowCount: fineCount, columnCount: coarseStarts[aggregateCount],
                                     rowStarts: rowStarts, columns: columns, values: values)
        return Aggregation(tentative: tentative, positions: aggregatePositions, nodeStarts: coarseStarts,
                           nearNull: coarseNearNull)
    }

    /// T - damping D^-1 (A T), given `product` = A T (whose pattern holds T's).
    static func smoothed(_ tentative: SparseMatrix, product: SparseMatrix,
                         inverseDiagonal: UnsafeMutableBufferPointer<Float>, damping: Float) -> SparseMatrix {
        var values = product.values
        for row in 0..<product.rowCount {
            let scale = -damping * inverseDiagonal[row]
            var tentativeEntry = tentative.rowStarts[row]
            for entry in product.rowStarts[row]..<product.rowStarts[row + 1] {
                values[entry] *= scale
                // Both rows are sorted by column: add T's entry where the columns meet.
                while tentativeEntry < tentative.rowStarts[row + 1]
                        && tentative.columns[tentativeEntry] < product.columns[entry] { tentativeEntry += 1 }
                if tentativeEntry < tentative.rowStarts[row + 1]
                    && tentative.columns[tentativeEntry] == product.columns[entry] {
                    values[entry] += tentative.values[tentativeEntry]
                }
            }
        }
        return SparseMatrix(rowCount: product.rowCount, columnCount: product.columnCount,
                            rowStarts: product.rowStarts, columns: product.columns, values: values)
    }
}
