import Inference

/// Runs a model reader on the input and plans every graph it accepts, as loading a model does: the
/// shared body of the model-reader targets. Errors are the expected outcome (reported when `verbose`).
public func readAndPlan(_ read: () throws -> Graph) {
    let graph: Graph
    do {
        graph = try read()
    } catch {
        report("refused: \(error)")
        return
    }
    do {
        let plan = try ExecutionPlan(graph: graph)
        report("read \(graph.nodes.count) nodes; planned \(plan.stepDescriptions.count) steps")
    } catch {
        report("read \(graph.nodes.count) nodes; not planned: \(error)")
    }
}
