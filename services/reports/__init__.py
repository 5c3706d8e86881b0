"""The reports built from the official table: the chart (spec, PNG, SVG), the XLSX biểu thống kê,
the DOCX báo cáo and the CSV of every table and list. No Streamlit: pages, the command and the
public page use the same builders, so a file says what the screen says."""
