"""Deployment: ``torch.export`` programs and ONNX files with a dynamic input
height and width, checked against PyTorch."""
from .export import (EXPORTERS, MAX_SIZE, MIN_SIZE, TOLERANCE, TensorForward,
                     all_ok, check, compare, dynamic_hw, export_onnx,
                     export_program, flat_outputs, format_results,
                     integer_upsampling_sizes, onnx_runner, output_names,
                     program_runner, size_oblivious)

__all__ = [
    'EXPORTERS', 'MAX_SIZE', 'MIN_SIZE', 'TOLERANCE', 'TensorForward',
    'all_ok', 'check', 'compare', 'dynamic_hw', 'export_onnx',
    'export_program', 'flat_outputs', 'format_results',
    'integer_upsampling_sizes', 'onnx_runner', 'output_names',
    'program_runner', 'size_oblivious'
]
