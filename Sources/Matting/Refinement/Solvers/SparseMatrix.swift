import Parallelism

/// A sparse matrix in compressed sparse row form, single precision: the coarse operators and
/// interpolations of `SmoothedAggregation`.
struct SparseMatrix: Sendable {
    let rowCount: Int
    let columnCount: Int
    /// Row r's entries are `rowStarts[r] ..< rowStarts[r + 1]`.
    var rowStarts: [Int]
    var columns: [Int32]
    var values: [Float]

    init(rowCount: Int, columnCount: Int, rowStarts: [Int], columns: [Int32], values: [Float]) {
        precondition(rowStarts.count == rowCount + 1 && columns.count == values.count
                     && rowStarts.last == columns.count)
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowStarts = rowStarts
        self.columns = columns
        self.values = values
    }

    /// The stencil matrix in this form.
    init(_ stencil: StencilMatrix) {
        var rowStarts = [Int](repeating: 0, count: stencil.count + 1)
        var columns: [Int32] = [], values: [Float] = []
        columns.reserveCapacity(stencil.count * StencilMatrix.taps)
        values.reserveCapacity(stencil.count * StencilMatrix.taps)
        let count = stencil.count
        stencil.coefficients.withUnsafeBufferPointer { coefficients in
            stencil.indices.withUnsafeBufferPointer { indices in
                for run in stencil.runs {
                    for t in 0..<run.count {
                        let row = run.index + t
                        let centre = stencil.paddedPosition(x: run.x + t, y: run.y)
                        for tap in 0..<StencilMatrix.taps {
                            let value = coefficients[tap * count + row]
                            // Taps towards inactive pixels hold zero; the padding keeps the index in range.
                            let column = indices[centre + stencil.tapOffsets[tap]]
                            guard value != 0, column >= 0 else { continue }
                            columns.append(column)
                            values.append(value)
                        }
                        rowStarts[row + 1] = columns.count
                    }
                }
            }
        }
        self.init(rowCount: count, columnCount: count, rowStarts: rowStarts, columns: columns, values: values)
    }

    var diagonal: [Float] {
        (0..<rowCount).map { row in
            var value: Float = 0
            for entry in rowStarts[row]..<rowStarts[row + 1] where Int(columns[entry]) == row { value += values[entry] }
            return value
        }
    }

    /// y = A x, or y += A x when `adding`.
    func multiply(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, threads: Int,
                  adding: Bool = false) {
        precondition(x.count >= columnCount && y.count >= rowCount)
        rowStarts.withUnsafeBufferPointer { rowStarts in
            columns.withUnsafeBufferPointer { columns in
                values.withUnsafeBufferPointer { values in
                    nonisolated(unsafe) let y = y
                    parallelFor(rowCount, threads: values.count >= 200_000 ? threads : 1) { rows in
                        for row in rows {
                            var sum: Float = 0
                            for entry in rowStarts[row]..<rowStarts[row + 1] {
                                sum += values[entry] * x[Int(columns[entry])]
                            }
                            y[row] = adding ? y[row] + sum : sum
                        }
                    }
                }
            }
        }
    }

    /// A^T.
    func transposed() -> SparseMatrix {
        var counts = [Int](repeating: 0, count: columnCount + 1)
        for column in columns { counts[Int(column) + 1] += 1 }
        for index in 0..<columnCount { counts[index + 1] += counts[index] }
        var next = counts
        var columnsOut = [Int32](repeating: 0, count: columns.count)
        var valuesOut = [Float](repeating: 0, count: values.count)
        for row in 0..<rowCount {
            for entry in rowStarts[row]..<rowStarts[row + 1] {
                let column = Int(columns[entry])
                columnsOut[next[column]] = Int32(row)
                valuesOut[next[column]] = values[entry]
                next[column] += 1
            }
        }
        return SparseMatrix(rowCount: columnCount, columnCount: rowCount, rowStarts: counts,
                            columns: columnsOut, values: valuesOut)
    }

    /// A B, accumulated in double precision (Gustavson's row-by-row product), columns sorted per row.
    func multiplied(by other: SparseMatrix, threads: Int = 1) -> SparseMatrix {
        precondition(columnCount == other.rowCount)
        let parts = max(1, min(threads, rowCount / 2048))
        var pieces = [(rowLengths: [Int], columns: [Int32], values: [Float])](repeating: ([], [], []), count: parts)
        let otherColumns = other.columnCount
        pieces.withUnsafeMutableBufferPointer { pieces in
            rowStarts.withUnsafeBufferPointer { rowStarts in
            columns.withUnsafeBufferPointer { columns in
            values.withUnsafeBufferPointer { values in
            other.rowStarts.withUnsafeBufferPointer { otherStarts in
            other.columns.withUnsafeBufferPointer { otherColumnIndices in
            other.values.withUnsafeBufferPointer { otherValues in
                nonisolated(unsafe) let pieces = pieces
                parallelFor(parts, threads: parts) { range in
                    let accumulator = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(otherColumns, 1))
                    let marker = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(otherColumns, 1))
                    let touched = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(otherColumns, 1))
                    defer { accumulator.deallocate(); marker.deallocate(); touched.deallocate() }
                    marker.initialize(repeating: -1)
                    for part in range {
                        let first = rowCount * part / parts, last = rowCount * (part + 1) / parts
                        var lengths: [Int] = [], columnsOut: [Int32] = [], valuesOut: [Float] = []
                        lengths.reserveCapacity(last - first)
                        for row in first..<last {
                            var count = 0
                            for entry in rowStarts[row]..<rowStarts[row + 1] {
                                let middle = Int(columns[entry]), scale = Double(values[entry])
                                for otherEntry in otherStarts[middle]..<otherStarts[middle + 1] {
                                    let column = Int(otherColumnIndices[otherEntry])
                                    if marker[column] != row {
                                        marker[column] = row
                                        accumulator[column] = 0
                                        touched[count] = column
                                        count += 1
                                    }
                                    accumulator[column] += scale * Double(otherValues[otherEntry])
                                }
                            }
                            // Insertion sort: rows hold a few dozen entries.
                            for index in 1..<max(count, 1) {
                                let column = touched[index]
                                var position = index
                                while position > 0 && touched[position - 1] > column {
                                    touched[position] = touched[position - 1]
                                    position -= 1
                                }
                                touched[position] = column
                            }
                            for index in 0..<count {
                                columnsOut.append(Int32(touched[index]))
                                valuesOut.append(Float(accumulator[touched[index]]))
                            }
                            lengths.append(count)
                        }
                        pieces[part] = (lengths, columnsOut, valuesOut)
                    }
                }
            }
            }
            }
            }
            }
            }
        }
        var starts = [0]
        starts.reserveCapacity(rowCount + 1)
        var columnsOut: [Int32] = [], valuesOut: [Float] = []
        for piece in pieces {
            for length in piece.rowLengths { starts.append(starts[starts.count - 1] + length) }
            columnsOut += piece.columns
            valuesOut += piece.values
        }
        return SparseMatrix(rowCount: rowCount, columnCount: other.columnCount, rowStarts: starts,
                            columns: columnsOut, values: valuesOut)
    }

    /// The matrix as dense rows.
    func dense() -> [[Double]] {
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: columnCount), count: rowCount)
        for row in 0..<rowCount {
            for entry in rowStarts[row]..<rowStarts[row + 1] { matrix[row][Int(columns[entry])] += Double(values[entry]) }
        }
        return matrix
    }
}
