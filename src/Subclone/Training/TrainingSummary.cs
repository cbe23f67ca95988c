namespace Subclone.Training;

/// <summary>How a <see cref="Trainer.Run"/> call ended.</summary>
public sealed record TrainingSummary(int Step, int StepsThisRun, double? TrainLoss, double? InitialValLoss, double? ValLoss,
    long Tokens, double Seconds, double StepsPerSecond, double TokensPerSecond, bool Stopped)
{
    /// <summary>The summary of a run that started this call at <paramref name="startStep"/> and now stands at <paramref name="state"/>.</summary>
    public static TrainingSummary Of(TrainingState state, int startStep, double seconds, double tokensPerSecond)
    {
        int steps = state.Step - startStep;
        return new TrainingSummary(state.Step, steps, state.LastTrainLoss, state.InitialValLoss, state.LastValLoss, state.TokensSeen,
            seconds, steps / Math.Max(seconds, 1e-9), tokensPerSecond, state.Step < state.Options.Steps);
    }
}
