namespace Subclone.Training;

/// <summary>The training loss became NaN or infinite: the learning rate is too high for this start. A single run
/// reports it to the user (exit 2); a learning-rate sweep records the point as diverged and goes on.</summary>
public sealed class TrainingDivergedException(int step, double loss)
    : UserInputException($"the training loss became {loss} at step {step}; try a lower --lr or a smaller --clip")
{
    /// <summary>The step whose loss was not finite.</summary>
    public int Step { get; } = step;
}
